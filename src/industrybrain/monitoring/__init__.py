"""Industrial operation monitoring (工业智治): 指标晾晒, 短板弱项提示函, 用电监测, 运行简报, 驾驶舱."""
