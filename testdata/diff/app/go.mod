module example.com/diffapp

go 1.22

require example.com/greet v1.0.0

replace example.com/greet => ../greet-v1.0.0
