"""The feedback report (意见采纳情况反馈) and its statutory clock."""
