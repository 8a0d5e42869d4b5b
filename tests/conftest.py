import sys
from pathlib import Path

# `helpers` is imported by the tests as a plain module.
sys.path.insert(0, str(Path(__file__).parent))
