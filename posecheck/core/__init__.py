"""The pure core: numpy and dataclasses only, never cv2, mediapipe, av, streamlit or matplotlib."""
