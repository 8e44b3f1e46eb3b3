module github.com/tomebench/tomebench

go 1.26.8
