FROM %IMAGE%
WORKDIR /www
COPY . .
RUN if [ -e node_modules/left-pad/index.js ] && [ ! -e docs ]; \
    then echo api-ignore-ok; else echo LEAKED; ls -a; fi > index.html
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
