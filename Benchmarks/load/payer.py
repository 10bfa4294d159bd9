"""The bridge shape's payer. Since issue 11 a `dial` reaches a trunk only when an account
pays for it (TrunkLegAdmission), so the bridge benchmarks bind one to every call through
free IVR access: account `bench` on plan `bench` (one flat rate, A leg free), funded far
beyond any run. The rating and the reservation are part of what a bridged call costs."""
import os
import subprocess

DECK = "prefix,description,rate,connection fee,first increment,increment\n49,Germany,0.0100,0.0000,1,1\n"
CONFIG = "callback: { free-ivr-access: true, free-access-user: bench }\n"


def fund(binary, data):
    """Plan `bench` and account `bench` in the data directory `data` (before `serve`)."""
    os.makedirs(data, exist_ok=True)
    deck = os.path.join(os.path.dirname(data), "bench-rates.csv")
    with open(deck, "w") as f:
        f.write(DECK)
    for args in (["rates", "import", "bench", deck, "--currency", "EUR"],
                 ["accounts", "add", "bench", "--password", "bench-password", "--balance", "1000000", "--plan", "bench"]):
        subprocess.run([binary, *args, "--data-dir", data], check=True, stdout=subprocess.DEVNULL)
