#!/usr/bin/env python3
"""Drive one call with PJSUA2 (PJSIP's own SIP/RTP stack, from PyPI `pjsua2-python`):
an independent softphone for the calling-card interop test (PjsuaCallingCardTests).

The test steers the call from outside, one command per line on standard input, because
only the server's log says when the script is ready for the next key:

  dtmf 1234#     send keys (RFC 4733 by default; `--dtmf info` sends SIP INFO)
  hangup         end the call (BYE)
  quit           leave (hangs up first if a call is up)

Every event is one JSON object per line on standard output, e.g.
  {"event": "ready", "sip-port": 5070}
  {"event": "call-state", "state": "CONFIRMED", "status": 200, "reason": "OK"}
  {"event": "media", "status": "ACTIVE", "codec": "PCMU"}
  {"event": "dtmf-sent", "digits": "1234#", "method": "rfc4733"}
  {"event": "call-state", "state": "DISCONNECTED", "status": 200, "reason": "Normal call clearing"}
  {"event": "stats", "rx-packets": 812, "tx-packets": 790, ...}
  {"event": "done"}
There is no sound card: PJSUA2's null audio device clocks the media. PJSIP's own log
goes to the file given with --pjsip-log.

  python3 calling_card.py --target sip:600@127.0.0.1:5060 --caller 5551234 --sip-port 0 --rtp-port 47000
"""
import argparse
import json
import os
import select
import sys
import time

try:
    import pjsua2 as pj
except ImportError:
    print(json.dumps({"event": "error", "message": "pjsua2 is not installed: python3 -m pip install pjsua2-python"}),
          flush=True)
    sys.exit(3)


def emit(event, **fields):
    fields = {"event": event, **fields}
    print(json.dumps(fields), flush=True)


class Call(pj.Call):
    def __init__(self, account):
        super().__init__(account)
        self.state = None
        self.disconnected = False

    def onCallState(self, prm):
        info = self.getInfo()
        self.state = info.stateText
        emit("call-state", state=info.stateText, status=int(info.lastStatusCode), reason=info.lastReason)
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.disconnected = True

    def onCallMediaState(self, prm):
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            status = {pj.PJSUA_CALL_MEDIA_NONE: "NONE", pj.PJSUA_CALL_MEDIA_ACTIVE: "ACTIVE",
                      pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "LOCAL_HOLD", pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "REMOTE_HOLD",
                      pj.PJSUA_CALL_MEDIA_ERROR: "ERROR"}.get(media.status, str(media.status))
            codec = ""
            try:
                codec = self.getStreamInfo(index).codecName
            except pj.Error:
                pass
            emit("media", status=status, codec=codec)
            if media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                # Connect the call to the (null) sound device both ways, as a softphone does,
                # so the conference bridge sends audio (silence) and receives the server's.
                audio = self.getAudioMedia(index)
                manager = pj.Endpoint.instance().audDevManager()
                audio.startTransmit(manager.getPlaybackDevMedia())
                manager.getCaptureDevMedia().startTransmit(audio)

    def stats(self):
        try:
            stat = self.getStreamStat(0)
            return {"rx-packets": int(stat.rtcp.rxStat.pkt), "tx-packets": int(stat.rtcp.txStat.pkt),
                    "rx-lost": int(stat.rtcp.rxStat.loss)}
        except pj.Error as error:
            return {"error": error.info()}


class Account(pj.Account):
    def onIncomingCall(self, prm):
        call = Call(self, prm.callId)
        answer = pj.CallOpParam()
        answer.statusCode = 486  # this driver only calls out
        call.hangup(answer)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="SIP URI to call, e.g. sip:600@127.0.0.1:5060")
    ap.add_argument("--caller", default="5551234", help="user part of our From (the caller ID)")
    ap.add_argument("--sip-port", type=int, default=0, help="local UDP port (0: any)")
    ap.add_argument("--rtp-port", type=int, default=0, help="first local RTP port (0: PJSIP's default)")
    ap.add_argument("--dtmf", choices=["rfc4733", "info"], default="rfc4733")
    ap.add_argument("--codecs", default="PCMU/8000,PCMA/8000",
                    help="codecs to offer, in order (others disabled); empty keeps PJSIP's own list")
    ap.add_argument("--timeout", type=float, default=120, help="hard limit for the whole run, seconds")
    ap.add_argument("--pjsip-log", default="pjsip.log")
    a = ap.parse_args()

    endpoint = pj.Endpoint()
    endpoint.libCreate()
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0            # callbacks run in this thread, from libHandleEvents
    config.uaConfig.mainThreadOnly = True
    config.logConfig.level = 5
    config.logConfig.consoleLevel = 0
    config.logConfig.filename = a.pjsip_log
    config.medConfig.noVad = True            # send every 20 ms frame, silence included
    endpoint.libInit(config)
    transport_config = pj.TransportConfig()
    transport_config.port = a.sip_port
    transport_config.boundAddress = "127.0.0.1"
    transport_config.publicAddress = "127.0.0.1"
    transport = endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport_config)
    endpoint.libStart()
    endpoint.audDevManager().setNullDev()
    if a.codecs:
        wanted = [c.strip() for c in a.codecs.split(",") if c.strip()]
        for codec in endpoint.codecEnum2():
            name = codec.codecId
            rank = next((i for i, w in enumerate(wanted) if name.lower().startswith(w.lower())), None)
            endpoint.codecSetPriority(name, 0 if rank is None else 250 - rank)

    account_config = pj.AccountConfig()
    account_config.idUri = f"sip:{a.caller}@127.0.0.1"
    account_config.sipConfig.transportId = transport
    account_config.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    account_config.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
    if a.rtp_port:
        account_config.mediaConfig.transportConfig.port = a.rtp_port
        account_config.mediaConfig.transportConfig.portRange = 20
    account = Account()
    account.create(account_config)
    port = endpoint.transportGetInfo(transport).localName
    emit("ready", **{"sip-address": port, "dtmf": a.dtmf})

    call = Call(account)
    call.makeCall(a.target, pj.CallOpParam(True))
    emit("calling", target=a.target)

    deadline = time.monotonic() + a.timeout
    pending = b""
    quitting = False
    stdin_open = True
    last_stats = None
    while time.monotonic() < deadline:
        endpoint.libHandleEvents(20)
        if call.state == "CONFIRMED":
            last_stats = call.stats()
        if call.disconnected and quitting:
            break
        if not stdin_open:
            if call.disconnected:
                break
            continue
        readable, _, _ = select.select([sys.stdin], [], [], 0)
        if not readable:
            continue
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            stdin_open = False   # the test went away: end the call
            quitting = True
            if not call.disconnected:
                call.hangup(pj.CallOpParam())
            continue
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            words = line.decode().split()
            if not words:
                continue
            command = words[0]
            try:
                if command == "dtmf" and len(words) == 2:
                    if a.dtmf == "info":
                        parameter = pj.CallSendDtmfParam()
                        parameter.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
                        for digit in words[1]:
                            parameter.digits = digit
                            call.sendDtmf(parameter)
                    else:
                        call.dialDtmf(words[1])
                    emit("dtmf-sent", digits=words[1], method=a.dtmf)
                elif command == "hangup":
                    if last_stats is not None:
                        emit("stats", **last_stats)
                    call.hangup(pj.CallOpParam())
                    emit("hangup-sent")
                elif command == "quit":
                    quitting = True
                    if not call.disconnected:
                        call.hangup(pj.CallOpParam())
                else:
                    emit("error", message=f"unknown command: {line.decode()!r}")
            except pj.Error as error:
                emit("error", message=error.info(), command=command)
    else:
        emit("error", message=f"timed out after {a.timeout} s")
    if last_stats is not None:
        emit("stats", **last_stats)
    # Let the BYE transaction finish before the library goes away.
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        endpoint.libHandleEvents(20)
    emit("done")
    sys.stdout.flush()
    endpoint.libDestroy()
    os._exit(0 if call.disconnected else 1)


if __name__ == "__main__":
    main()
