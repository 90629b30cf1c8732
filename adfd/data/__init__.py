"""Datasets in their official layouts, frame sampling, test-time distortions (Table 10), face
detection, landmarks and crops."""
