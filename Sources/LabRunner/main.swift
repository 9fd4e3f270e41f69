print("routed-lab: not yet built")
