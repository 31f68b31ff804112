import sys

from agp_dash.cli import main

sys.exit(main())
