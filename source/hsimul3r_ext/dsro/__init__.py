"""Reverse pass (paper Sec. 3.4): Direct Simulation Reward Optimization of an object generator.

`generator.py` is the interface; `parts_generator.py` the generator we ship; `label.py` labels samples with the
judge; `train.py` fine-tunes with DPO or DRO; `evaluate.py` compares generators; `regenerate.py` is the
pipeline's reverse stage. See docs/dsro.md.
"""
