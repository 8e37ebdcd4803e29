module example.com/diffbench

go 1.22
