import sys

from perfaudit.server.cli.main import main

sys.exit(main())
