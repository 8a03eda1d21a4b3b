-- wrk script: the original README's chat request, POSTed on every keep-alive connection.
wrk.method = "POST"
wrk.body = '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}'
wrk.headers["Content-Type"] = "application/json"
