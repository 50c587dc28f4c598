"""Body models: SMPL-family model files and what the rest of the product needs from them."""
