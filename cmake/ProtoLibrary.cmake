# isms_proto_library(<target> GRPC|NOGRPC <proto files relative to protos/>...)
#
# Generates C++ (and, with GRPC, gRPC service stubs) for the given files into
# one static library, so each proto package is compiled exactly once.
function(isms_proto_library target mode)
  set(proto_root ${PROJECT_SOURCE_DIR}/protos)
  set(out_dir ${PROJECT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  set(srcs)
  foreach(rel ${ARGN})
    get_filename_component(stem ${rel} NAME_WE)
    get_filename_component(dir ${rel} DIRECTORY)
    set(base ${out_dir}/${dir}/${stem})
    set(outputs ${base}.pb.cc ${base}.pb.h)
    set(plugin_args)
    if(mode STREQUAL "GRPC")
      list(APPEND outputs ${base}.grpc.pb.cc ${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${out_dir}
          --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc --proto_path=${proto_root}
              --cpp_out=${out_dir} ${plugin_args} ${proto_root}/${rel}
      DEPENDS ${proto_root}/${rel}
      COMMENT "protoc ${rel}")
    list(APPEND srcs ${base}.pb.cc)
    if(mode STREQUAL "GRPC")
      list(APPEND srcs ${base}.grpc.pb.cc)
    endif()
  endforeach()
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  if(mode STREQUAL "GRPC")
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
  # Generated code is not ours to lint.
  target_compile_options(${target} PRIVATE -w)
endfunction()
