"""luckyctl: execute, prove and report on a production-deployment roadmap."""

from luckyctl.errors import LuckyError

__version__ = "0.1.0"
__all__ = ["LuckyError", "__version__"]
