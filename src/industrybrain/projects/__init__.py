"""Major industrial projects (重大产业项目): the six lists 签约→拿地→开工→在建→竣工→投产."""
