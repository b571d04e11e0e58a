"""`python -m registry_server` is the same as `registry-server`."""

import sys

from registry_server.cli import main

sys.exit(main())
