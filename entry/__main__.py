import sys

from perfaudit.server.cli import main

sys.exit(main())
