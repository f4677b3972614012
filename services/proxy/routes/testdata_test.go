package routes

const testDomain = "apps.localhost"
