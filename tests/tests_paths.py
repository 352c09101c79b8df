from pathlib import Path

REFERENCE = Path(__file__).parent / "reference"
