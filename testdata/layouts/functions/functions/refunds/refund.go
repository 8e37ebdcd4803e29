package main

func refund() string { return "refund" }
