variable "lambdas_path" {
  description = "Where the functions' folders are, from this folder"
  type        = string
  default     = "../lambdas/"
}
