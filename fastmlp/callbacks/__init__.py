"""Callbacks: objects whose hooks fit, evaluate and predict call, with Keras
3's names, semantics and messages.

One callback a file: `callback` (the base class and its hooks),
`callback_list` (dispatch), `history`, `monitor_callback` (the base of those
that watch a value), `early_stopping`, `reduce_lr_on_plateau`,
`model_checkpoint`, `csv_logger`, `learning_rate_scheduler`,
`terminate_on_nan`, `lambda_callback`, and the progress display in
`progbar_logger` (the callback) and `progbar` (the bar and where it is drawn).
"""
from .callback import Callback
from .callback_list import CallbackList, check_callbacks
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .progbar_logger import ProgbarLogger, ProgressBar, format_logs, inference_bar
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback", "CallbackList", "History", "EarlyStopping", "ReduceLROnPlateau",
    "ModelCheckpoint", "CSVLogger", "LearningRateScheduler", "TerminateOnNaN", "LambdaCallback",
    "ProgbarLogger",
]
