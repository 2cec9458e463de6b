"""Run Spinlens (`lsp`, or any CLI command) with the libraries shipped in the VSIX.

    python bundled/spinlens_main.py lsp        what the extension starts

`make package` copies this file to bundled/spinlens_main.py beside the two folders
scripts/bundle_libs.py fills: libs/ (spinlens and what its kernels need:
cloudpickle, debugpy) and server/ (what only the language server needs: pygls,
lsprotocol and theirs). Both go first on sys.path, as in Microsoft's Python
tools extension template; the user's interpreter only needs Metaflow. Kernels get
libs/ alone (the session puts spinlens's folder on their PYTHONPATH), so a step
still imports the user's own attrs or typing_extensions.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    # Any Python may be chosen: say what is wrong before a syntax error would.
    if sys.version_info < (3, 10):  # noqa: UP036
        version = ".".join(str(part) for part in sys.version_info[:3])
        sys.stderr.write(f"Spinlens needs Python 3.10 or newer; {sys.executable} is {version}.\n")
        return 2
    # sys.path[0] is this folder: the bundled libraries take its place.
    sys.path[0:1] = [os.path.join(HERE, "libs"), os.path.join(HERE, "server")]
    from spinlens.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
