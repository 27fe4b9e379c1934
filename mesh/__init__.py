"""Shared package of OCR Mesh: settings, errors, Nacos registration and discovery, runtime."""
