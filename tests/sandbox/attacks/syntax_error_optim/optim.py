class SGD:
    def step(self)
        pass
