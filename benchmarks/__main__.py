"""``python -m benchmarks`` runs the quick TPC-H split benchmark (``--full`` for SF 1)."""

import sys

from benchmarks.run import main

sys.exit(main())
