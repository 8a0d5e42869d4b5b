import sys

from perfaudit.command_line import main

sys.exit(main())
