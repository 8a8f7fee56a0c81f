"""`python -m cli` is the `svideo` command."""

import sys

from cli.main import main

sys.exit(main())
