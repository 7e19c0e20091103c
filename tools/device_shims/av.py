"""Placeholder for PyAV on the lent GPU machine, whose image lacks it (tools/gpu_train.sh puts this folder on PYTHONPATH).
Training never decodes video (the prepared corpus is arrays); any use of this module fails loudly."""
def __getattr__(name):
    raise ImportError(f'PyAV is not installed on this machine (av.{name} was used): video I/O is not available here')
