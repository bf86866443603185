"""The kiosk: a touchscreen at a branch's entrance, authorized by a device link."""
