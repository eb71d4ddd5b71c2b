"""The throwaway profile's checks are graded by grade_scope.py, never collected as tests."""

collect_ignore_glob = ["scope_profile/*"]
