"""layers.py whose import never finishes (a loop left at module level): no grading of it can
end before the rubric's import time limit (20 s), however fast the machine."""

while True:
    pass
