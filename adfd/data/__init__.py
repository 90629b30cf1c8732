"""Datasets in their official layouts, frame sampling, face detection, landmarks and crops."""
