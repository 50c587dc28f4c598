"""Human to robot: robot assets from MJCF that ships in a pip package, and (next) contact-preserving retargeting."""
