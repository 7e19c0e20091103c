"""Placeholder for dlib on the lent GPU machine, whose image lacks it (tools/gpu_train.sh puts this folder on PYTHONPATH).
Training never detects faces (the prepared corpus holds the crops); any use of this module fails loudly."""
def __getattr__(name):
    raise ImportError(f'dlib is not installed on this machine (dlib.{name} was used): face detection is not available here')
