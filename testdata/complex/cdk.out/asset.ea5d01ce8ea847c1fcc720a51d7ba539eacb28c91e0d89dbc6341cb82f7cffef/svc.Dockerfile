FROM scratch AS build
ARG APP_VERSION
COPY version.txt /build/version.txt

FROM scratch AS runtime
ARG APP_VERSION
COPY --from=build /build/version.txt /version.txt
