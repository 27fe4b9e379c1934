"""Documents: PDF and multi-page TIFF split into page images, read page by page across the mesh."""
