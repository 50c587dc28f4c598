"""Warp kernels shared by the judge, the alignment and the RL reward (one home for mesh queries)."""
