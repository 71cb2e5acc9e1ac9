"""Data-parallel training's pieces that no launcher owns: the ring
(ring.py), the global batches' plan (schedule.py) and the replicas' training
loops (replica.py for the loop, keras_replica.py and sklearn_replica.py for
the two dialects). fastmlp.dask and fastmlp.ray launch them."""

__all__: list = []
