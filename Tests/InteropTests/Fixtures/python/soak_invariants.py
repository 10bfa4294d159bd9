"""Reads a Switchback SQLite database read-only (Python's standard library, not the
project's code) and prints, as one JSON object, what the kill -9 soak asserts:

- accounts: balance, the sum of its ledger entries, and ledger entries whose
  balance-after does not follow from the previous one (the chain);
- open reservations and open call legs;
- settled reservations whose ledger charge is not the sum of their charged legs' costs
  (the CDRs that explain it), and settled reservations with no ledger entry;
- call legs of a reservation that is not settled;
- callback requests (id, origin, destinations, state, attempts, last error);
- registration bindings live now.

usage: soak_invariants.py DATABASE
"""
import json
import sqlite3
import sys
import time

database = sys.argv[1]
db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
db.row_factory = sqlite3.Row
out = {}

accounts = []
for account in db.execute("SELECT id, login, balanceMinorUnits FROM account ORDER BY id"):
    entries = db.execute("SELECT id, amountMinorUnits, balanceAfterMinorUnits FROM ledgerEntry WHERE accountID = ? "
                         "ORDER BY id", (account["id"],)).fetchall()
    running, breaks = 0, []
    for entry in entries:
        running += entry["amountMinorUnits"]
        if entry["balanceAfterMinorUnits"] != running:
            breaks.append(entry["id"])
    accounts.append({"login": account["login"], "balance": account["balanceMinorUnits"],
                     "ledgerSum": sum(e["amountMinorUnits"] for e in entries), "entries": len(entries),
                     "chainBreaks": breaks})
out["accounts"] = accounts
out["openReservations"] = [r[0] for r in db.execute("SELECT id FROM reservation WHERE state = 'open'")]
out["openLegs"] = [r[0] for r in db.execute("SELECT id FROM callLeg WHERE isOpen")]
out["settledReservations"] = db.execute("SELECT COUNT(*) FROM reservation WHERE state = 'settled'").fetchone()[0]
mismatched = []
for reservation in db.execute("SELECT id, chargedMinorUnits FROM reservation WHERE state = 'settled'"):
    legs = db.execute("SELECT COALESCE(SUM(costMinorUnits), 0) FROM callLeg WHERE reservationID = ? AND charged",
                      (reservation["id"],)).fetchone()[0]
    ledger = db.execute("SELECT amountMinorUnits FROM ledgerEntry WHERE reservationID = ?",
                        (reservation["id"],)).fetchone()
    charged = reservation["chargedMinorUnits"] or 0
    ledger_amount = -ledger[0] if ledger else 0
    if legs != charged or ledger_amount != charged or (charged != 0 and ledger is None):
        mismatched.append({"reservation": reservation["id"], "charged": charged, "legsCost": legs,
                           "ledger": ledger_amount, "hasLedgerEntry": ledger is not None})
out["settlementMismatches"] = mismatched
out["legsOfUnsettledReservations"] = [r[0] for r in db.execute(
    "SELECT callLeg.id FROM callLeg JOIN reservation ON reservation.id = callLeg.reservationID "
    "WHERE reservation.state != 'settled'")]
out["legs"] = db.execute("SELECT COUNT(*) FROM callLeg").fetchone()[0]
out["callbacks"] = [dict(r) for r in db.execute(
    "SELECT id, originNumber AS origin, destinations, state, attempts, lastError FROM callbackRequest ORDER BY id")]
now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
out["liveBindings"] = [dict(r) for r in db.execute(
    "SELECT user, domain, contact, expiresAt FROM registrationBinding WHERE expiresAt > ? ORDER BY id", (now,))]
print(json.dumps(out))
