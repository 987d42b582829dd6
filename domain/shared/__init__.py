"""The shared kernel of this layer: what every context may use."""
