variable "project" {
  description = "Project id, e.g. lucky-gas-prod"
  type        = string
}

variable "project_number" {
  type = string
}

variable "region" {
  type    = string
  default = "asia-east1"
}

variable "environment" {
  description = "staging or production"
  type        = string
}

variable "api_domain" {
  description = "The API's custom domain, e.g. api.luckygas.com.tw"
  type        = string
}

variable "app_domain" {
  description = "The React app's domain, e.g. app.luckygas.com.tw"
  type        = string
}

variable "github_repository" {
  type    = string
  default = "luckygas/lucky-gas-backend"
}
