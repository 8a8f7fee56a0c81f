"""`python -m local` is the `svideo` command."""

import sys

from local.cli import main

sys.exit(main())
