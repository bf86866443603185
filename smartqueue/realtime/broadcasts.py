"""(being written by N5: an urgent message posted or ended reaches the branch's boards)"""
