"""Offline stand-in for the get-pip.py that ansible-test downloads to bootstrap its venvs.

ansible-test fetches get-pip from a host CI cannot reach; it uses a cached copy under
~/.ansible/test/cache/ when present, so `make venv` installs this file there. It bootstraps
pip from the interpreter's bundled wheel (ensurepip) and then installs what ansible-test asked
for (e.g. pip==24.2) through the normal, pinned-by-name pip route.
"""

import subprocess
import sys

# get-pip.py options that plain `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    if not args:
        return 0
    return subprocess.run([sys.executable, "-m", "pip", "install", *args], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
