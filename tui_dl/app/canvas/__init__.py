"""The app's own plot canvas: NumPy rasterization into terminal cells."""
