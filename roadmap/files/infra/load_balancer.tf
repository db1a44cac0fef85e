# GO-LIVE.1.4 and 1.5: one global HTTPS load balancer. The API domain goes to
# Cloud Run through a serverless NEG (no CDN: API answers are never cached);
# the app domain goes to the front-end bucket with Cloud CDN.

resource "google_compute_global_address" "edge" {
  name    = "lucky-gas-edge"
  project = var.project
}

resource "google_compute_managed_ssl_certificate" "edge" {
  name    = "lucky-gas-edge"
  project = var.project
  managed {
    domains = [var.api_domain, var.app_domain]
  }
}

resource "google_compute_region_network_endpoint_group" "api" {
  name                  = "lucky-gas-api"
  project               = var.project
  region                = var.region
  network_endpoint_type = "SERVERLESS"
  cloud_run {
    service = "lucky-gas-api"
  }
}

resource "google_compute_backend_service" "api" {
  name                  = "lucky-gas-api"
  project               = var.project
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  enable_cdn            = false
  backend {
    group = google_compute_region_network_endpoint_group.api.id
  }
  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_backend_bucket" "app" {
  name        = "lucky-gas-app"
  project     = var.project
  bucket_name = "${var.project}-frontend"
  enable_cdn  = true
  cdn_policy {
    cache_mode        = "USE_ORIGIN_HEADERS" # hashed assets: max-age=31536000, immutable; index.html: no-cache
    default_ttl       = 3600
    serve_while_stale = 86400
  }
  compression_mode = "AUTOMATIC"
}

resource "google_compute_url_map" "edge" {
  name            = "lucky-gas-edge"
  project         = var.project
  default_service = google_compute_backend_bucket.app.id
  host_rule {
    hosts        = [var.api_domain]
    path_matcher = "api"
  }
  path_matcher {
    name            = "api"
    default_service = google_compute_backend_service.api.id
  }
}

resource "google_compute_target_https_proxy" "edge" {
  name             = "lucky-gas-edge"
  project          = var.project
  url_map          = google_compute_url_map.edge.id
  ssl_certificates = [google_compute_managed_ssl_certificate.edge.id]
  ssl_policy       = google_compute_ssl_policy.modern.id
}

resource "google_compute_ssl_policy" "modern" {
  name            = "lucky-gas-modern-tls"
  project         = var.project
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "lucky-gas-https"
  project               = var.project
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.edge.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.edge.id
}

# Plain HTTP only redirects to HTTPS.
resource "google_compute_url_map" "redirect" {
  name    = "lucky-gas-http-redirect"
  project = var.project
  default_url_redirect {
    https_redirect         = true
    strip_query            = false
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  name    = "lucky-gas-http-redirect"
  project = var.project
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "lucky-gas-http"
  project               = var.project
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.edge.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.redirect.id
}

output "edge_ip" {
  description = "Point the A records of the API and app domains here"
  value       = google_compute_global_address.edge.address
}
