"""Casual captures: what perception tools leave on disk (people, scene points, cameras, 2D evidence,
generated objects), brought into one `Capture` before the capture alignment puts it in a metric world."""
