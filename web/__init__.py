"""HTTP blueprints that are neither WeChat nor the console: health, the certification pages."""
