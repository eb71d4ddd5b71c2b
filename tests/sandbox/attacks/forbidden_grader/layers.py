import grader

class Linear:
    pass
